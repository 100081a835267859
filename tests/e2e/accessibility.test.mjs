// The page shell as people meet it, in a real browser (Debian's Chromium through playwright-core)
// against a running server at AGORA_URL (tests/integration/with_server.mjs starts one):
// - axe-core finds no WCAG 2.2 A/AA violation on the home page (English and Welsh) and a 404 page;
// - from the top of the page, the first Tab reaches the skip link, which moves focus to <main>;
// - the pages work with JavaScript turned off;
// - the strict Content-Security-Policy blocks nothing the pages need.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { axeViolations } from './axe.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const baseUrl = process.env.AGORA_URL;
if (!baseUrl) {
  throw new Error('AGORA_URL is not set: run this through tests/integration/with_server.mjs, ' +
                  'or point it at a running agora server (http://127.0.0.1:8080)');
}

const chromiumPath = process.env.AGORA_CHROMIUM || '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * Message `key` ("home.heading") from templates/messages/<language>.json, or from a module's own
 * catalogue templates/messages/<language>/<module>.json, as the server merges them.
 */
function message(language, key) {
  const folder = path.join(repoRoot, 'templates', 'messages');
  const files = [path.join(folder, `${language}.json`),
    ...fs.readdirSync(path.join(folder, language)).filter((f) => f.endsWith('.json'))
      .map((f) => path.join(folder, language, f))];
  const catalogue = Object.assign({}, ...files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8'))));
  const text = key.split('.').reduce((node, part) => node?.[part], catalogue);
  assert.equal(typeof text, 'string', `no message ${key} for ${language}`);
  return text;
}

const url = (pathAndQuery) => new URL(pathAndQuery, baseUrl).href;

// Each browser gets a new, empty profile folder, so no cookie or cache from elsewhere leaks in.
const profiles = [];
async function launch({ javaScriptEnabled }) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-e2e-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    javaScriptEnabled,
    viewport: { width: 1280, height: 900 },
  });
}

/**
 * Opens `pathAndQuery` in a new page of `context`, recording every Content-Security-Policy
 * violation (console reports, and the DOM event when scripts run) and uncaught page errors.
 */
async function open(context, pathAndQuery) {
  const page = await context.newPage();
  const cspReports = [];
  const pageErrors = [];
  page.on('console', (entry) => {
    if (/content security policy|refused to (load|execute|apply|evaluate)/i.test(entry.text())) {
      cspReports.push(entry.text());
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Init scripts come from the browser's debugging protocol, which the page's CSP does not govern.
  await page.addInitScript(() => {
    window.__agoraCspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__agoraCspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  const response = await page.goto(url(pathAndQuery), { waitUntil: 'load' });
  assert.ok(response, `no response for ${pathAndQuery}`);
  return { page, response, cspReports, pageErrors };
}

/** Asserts that nothing on the page was blocked by the Content-Security-Policy. */
async function assertNoCspViolations({ page, response, cspReports }, { scripts = true } = {}) {
  const policy = response.headers()['content-security-policy'] ?? '';
  assert.match(policy, /script-src 'self'/, `weak or missing Content-Security-Policy: "${policy}"`);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/, `policy allows inline code: "${policy}"`);
  assert.deepEqual(cspReports, [], `console reported CSP violations on ${page.url()}`);
  if (scripts) {
    const violations = await page.evaluate(() => window.__agoraCspViolations);
    assert.deepEqual(violations, [], `CSP violations on ${page.url()}`);
  }
}

const h1 = (page) => page.locator('h1').innerText();

describe('page shell in Chromium', () => {
  let withScripts;
  let withoutScripts;

  before(async () => {
    withScripts = await launch({ javaScriptEnabled: true });
    withoutScripts = await launch({ javaScriptEnabled: false });
  });

  after(async () => {
    await withScripts?.close();
    await withoutScripts?.close();
    for (const profile of profiles) fs.rmSync(profile, { recursive: true, force: true });
  });

  const pages = [
    { name: 'home page in English', path: '/?lang=en', status: 200, lang: 'en', heading: ['en', 'home.heading'] },
    { name: 'home page in Welsh', path: '/?lang=cy', status: 200, lang: 'cy', heading: ['cy', 'home.heading'] },
    { name: 'missing page', path: '/no-such-page/for-the-e2e-test?lang=en', status: 404, lang: 'en',
      heading: ['en', 'error.status_404.heading'] },
    { name: 'sign-in page in English', path: '/sign-in?lang=en', status: 200, lang: 'en',
      heading: ['en', 'account.sign_in.heading'] },
    { name: 'sign-in page in Welsh', path: '/sign-in?lang=cy', status: 200, lang: 'cy',
      heading: ['cy', 'account.sign_in.heading'] },
    { name: 'forgotten password page', path: '/sign-in/forgotten-password?lang=en', status: 200, lang: 'en',
      heading: ['en', 'email_links.forgotten.heading'] },
    { name: 'expired link page', path: '/sign-in/reset-password?token=expired&lang=en', status: 410, lang: 'en',
      heading: ['en', 'email_links.expired.heading'] },
  ];

  for (const spec of pages) {
    test(`${spec.name}: no WCAG 2.2 A/AA violations and nothing blocked`, async () => {
      const opened = await open(withScripts, spec.path);
      const { page, response } = opened;
      try {
        assert.equal(response.status(), spec.status);
        assert.equal(await page.getAttribute('html', 'lang'), spec.lang);
        assert.equal(await h1(page), message(...spec.heading));
        // The external script ran (CSP allowed it) and did what GOV.UK's inline snippet would.
        const bodyClasses = await page.getAttribute('body', 'class');
        assert.match(bodyClasses, /\bjs-enabled\b/);
        assert.match(bodyClasses, /\bgovuk-frontend-supported\b/);
        // The stylesheet loaded: the header wears Agora's brand colour, not the browser default.
        const headerColour = await page.locator('header').evaluate((el) => getComputedStyle(el).backgroundColor);
        assert.equal(headerColour, 'rgb(0, 90, 110)');

        await assertNoCspViolations(opened);
        assert.deepEqual(opened.pageErrors, [], 'uncaught script errors');
        const violations = await axeViolations(page);
        assert.deepEqual(violations, [], `axe violations on ${spec.path}:\n${JSON.stringify(violations, null, 2)}`);
      } finally {
        await page.close();
      }
    });
  }

  test('the first Tab reaches the skip link, which moves focus to the main content', async () => {
    for (const language of ['en', 'cy']) {
      const { page } = await open(withScripts, `/?lang=${language}`);
      try {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => ({
          className: document.activeElement?.className ?? '',
          href: document.activeElement?.getAttribute('href'),
          text: document.activeElement?.textContent?.trim(),
        }));
        assert.match(focused.className, /\bgovuk-skip-link\b/, `first focus: ${JSON.stringify(focused)}`);
        assert.equal(focused.href, '#main-content');
        assert.equal(focused.text, message(language, 'layout.skip_link'));
        // GOV.UK's skip link is hidden until focused; a sighted keyboard user must see it.
        assert.ok(await page.locator('.govuk-skip-link').isVisible(), 'skip link not visible on focus');

        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.activeElement?.id === 'main-content');
        assert.equal(await page.evaluate(() => document.activeElement.tagName), 'MAIN');
      } finally {
        await page.close();
      }
    }
  });

  test('the language switch leads to the same page in the other language', async () => {
    const { page } = await open(withScripts, '/?lang=en');
    try {
      await page.locator('a[hreflang="cy"]').click();
      await page.waitForLoadState('load');
      assert.equal(await page.getAttribute('html', 'lang'), 'cy');
      assert.equal(await h1(page), message('cy', 'home.heading'));
    } finally {
      await page.close();
    }
  });

  test('pages work with JavaScript turned off', async () => {
    for (const spec of pages) {
      const opened = await open(withoutScripts, spec.path);
      const { page, response } = opened;
      try {
        assert.equal(response.status(), spec.status);
        assert.equal(await h1(page), message(...spec.heading));
        assert.doesNotMatch((await page.getAttribute('body', 'class')) ?? '', /\bjs-enabled\b/);
        // Every navigation link is a real link that works without scripts, and visible.
        const navigation = page.locator('.govuk-service-navigation__link');
        assert.equal(await navigation.count(), 3);
        for (let i = 0; i < 3; i++) assert.ok(await navigation.nth(i).isVisible());
        await assertNoCspViolations(opened, { scripts: false });
      } finally {
        await page.close();
      }
    }
  });
});
