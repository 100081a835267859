// A person's browser for black-box auth tests, built on node:http through the integration
// harness: it keeps the cookies the server sets (including __Host- and Secure ones, which a real
// browser would send only over HTTPS), takes the csrf_token field out of the page a form is on,
// and posts forms with the Origin a browser would send. Plus RFC 6238 TOTP codes computed with
// node:crypto, for the authenticator-app steps.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { request } from '../integration/harness.mjs';

/** The session cookie's name (src/auth/sessions.hpp kSessionCookie). */
export const kSessionCookie = '__Host-agora_session';
/** The cookie that binds an anonymous visitor's CSRF token (sign_in_middleware.hpp kCsrfCookie). */
export const kCsrfCookie = '__Host-agora_csrf';
/** The password every demo account shares, as `agora demo load` prints it. */
export function demoPasswordFrom(stdout) {
  return /password is (\S+?)\)?:/.exec(stdout)?.[1] ?? null;
}

/**
 * One Set-Cookie header as { name, value, attributes } where attributes maps lower-case
 * attribute names to their values (true for flags such as Secure).
 */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = {};
  for (const part of rest) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at < 0) attributes[trimmed.toLowerCase()] = true;
    else attributes[trimmed.slice(0, at).trim().toLowerCase()] = trimmed.slice(at + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** Every Set-Cookie of a response, parsed. */
export function setCookiesOf(res) {
  return [res.headers['set-cookie'] ?? []].flat().map(parseSetCookie);
}

/** The value of the first csrf_token field on a page, or null. */
export function csrfTokenOf(html) {
  return /name="csrf_token" value="([^"]*)"/.exec(html)?.[1] ?? null;
}

/** Undoes the HTML escaping our templates apply to text. */
export function decodeEntities(text) {
  return text.replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&#x2F;|&#47;/g, '/').replace(/&#x3D;|&#61;/g, '=')
    .replace(/&#x60;/g, '`').replace(/&amp;/g, '&');
}

/** The messages in a page's GOV.UK error summary, in order. */
export function errorSummaryOf(html) {
  const summary = /<div class="govuk-error-summary"[\s\S]*?<ul[^>]*>([\s\S]*?)<\/ul>/.exec(html);
  if (!summary) return [];
  return [...summary[1].matchAll(/<a href="[^"]*">([\s\S]*?)<\/a>/g)].map((m) => decodeEntities(m[1].trim()));
}

/** A cookie jar and the requests a browser makes; one per person (or per tab that must not share). */
export class BrowserSession {
  /**
   * server: an AgoraServer from the harness; userAgent: sent as User-Agent, so sessions can be
   * told apart on the account page.
   */
  constructor(server, { userAgent = 'agora-auth-test' } = {}) {
    this.server = server;
    this.userAgent = userAgent;
    /** name -> value of every cookie currently kept. */
    this.cookies = new Map();
    /** The response to the last request, for failure messages. */
    this.last = null;
  }

  /** The current value of cookie `name`, or undefined. */
  cookie(name) { return this.cookies.get(name); }
  /** The current session cookie's value, or undefined when not signed in. */
  get sessionToken() { return this.cookies.get(kSessionCookie); }
  /** Sets a cookie as if the server had (to plant one). */
  setCookie(name, value) { this.cookies.set(name, value); }
  /** Forgets a cookie. */
  dropCookie(name) { this.cookies.delete(name); }

  /**
   * Sends one request with the jar's cookies. form: fields to send urlencoded; origin: the Origin
   * header (default: the server's own for any request with a body, none otherwise; null: none).
   * Keeps the cookies the response sets. Returns the harness response plus `cookies` (parsed
   * Set-Cookie headers).
   */
  async send(method, requestPath, { form, multipart, headers = {}, origin } = {}) {
    const allHeaders = { 'User-Agent': this.userAgent, ...headers };
    if (this.cookies.size > 0) {
      allHeaders.Cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body;
    if (form !== undefined) {
      body = new URLSearchParams(form).toString();
      allHeaders['Content-Type'] = 'application/x-www-form-urlencoded';
      allHeaders['Content-Length'] = Buffer.byteLength(body);
    } else if (multipart !== undefined) {
      // multipart: [{ name, value }] fields and [{ name, filename, contentType, content }] files,
      // as a browser sends a form with a file input.
      const boundary = `----agora-test-${Math.random().toString(16).slice(2)}`;
      const chunks = [];
      for (const part of multipart) {
        let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
        if (part.filename !== undefined) {
          head += `; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}`;
        }
        chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(part.content ?? part.value ?? ''), Buffer.from('\r\n'));
      }
      chunks.push(Buffer.from(`--${boundary}--\r\n`));
      body = Buffer.concat(chunks);
      allHeaders['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
      allHeaders['Content-Length'] = body.length;
    }
    const sentOrigin = origin === undefined ? (method === 'GET' || method === 'HEAD' ? null : this.server.origin) : origin;
    if (sentOrigin) allHeaders.Origin = sentOrigin;
    const res = await request(this.server, { method, path: requestPath, headers: allHeaders, body });
    res.cookies = setCookiesOf(res);
    for (const { name, value, attributes } of res.cookies) {
      if (attributes['max-age'] === '0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    this.last = res;
    return res;
  }

  /** GET `requestPath` (redirects are not followed). */
  get(requestPath, options = {}) { return this.send('GET', requestPath, options); }

  /**
   * Fetches `formPage` (default: `requestPath`), takes its csrf_token and posts `fields` with it
   * to `requestPath`. options.token overrides the token (null: send none).
   */
  async submit(requestPath, fields, { formPage = requestPath, token, origin, headers } = {}) {
    let sent = token;
    if (sent === undefined) {
      const page = await this.get(formPage);
      sent = csrfTokenOf(page.text);
      assert.ok(sent, `no csrf_token on ${formPage} (status ${page.status}):\n${page.text.slice(0, 800)}`);
    }
    const form = sent === null ? { ...fields } : { ...fields, csrf_token: sent };
    return this.send('POST', requestPath, { form, origin, headers });
  }

  /** The csrf_token on page `requestPath` (fails the test when there is none). */
  async csrfTokenFrom(requestPath) {
    const page = await this.get(requestPath);
    const token = csrfTokenOf(page.text);
    assert.ok(token, `no csrf_token on ${requestPath} (status ${page.status}):\n${page.text.slice(0, 800)}`);
    return token;
  }

  /**
   * Posts the /sign-in form (token from GET /sign-in) and returns the response without judging it.
   */
  postSignIn(email, password, { returnTo = '/spaces' } = {}) {
    return this.submit('/sign-in', { email, password, return_to: returnTo });
  }

  /**
   * Signs in by password; fails the test unless the answer is 303 with a session cookie.
   * Returns the response (its Location says what comes next: the return_to page, or
   * /sign-in/two-factor).
   */
  async signIn(email, password, options = {}) {
    const res = await this.postSignIn(email, password, options);
    assert.equal(res.status, 303, `signing in as ${email} answered ${res.status}:\n${res.text.slice(0, 800)}`);
    assert.ok(res.cookies.some((c) => c.name === kSessionCookie && c.value),
      `signing in as ${email} set no ${kSessionCookie} cookie`);
    return res;
  }
}

/** Bytes of RFC 4648 base32 text (either case, padding and spaces ignored). */
export function fromBase32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 time step of `timeMs` (30-second periods since the Unix epoch). */
export function totpStep(timeMs = Date.now(), periodSeconds = 30) {
  return Math.floor(timeMs / 1000 / periodSeconds);
}

/** The TOTP code (HMAC-SHA1, RFC 4226 dynamic truncation) of `step` for a base32 secret. */
export function totpCode(secretBase32, step, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', fromBase32(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** What an authenticator app shows now for a base32 secret. */
export function totpNow(secretBase32, timeMs = Date.now()) {
  return totpCode(secretBase32, totpStep(timeMs));
}
