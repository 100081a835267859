// A mail server for tests: npm smtp-server on a free loopback port, no TLS, no sign-in, that keeps
// every message it receives, parsed (headers with RFC 2047 encoded words decoded, the body decoded
// from quoted-printable or base64 into text), and lets a test wait for the next message to an
// address.
//
//   const sink = await startSmtpSink();
//   runAgora([..., '--smtp-url', sink.url]);
//   const message = await sink.waitForMessage('ann@example.org');
//   message.header('subject'); message.text; message.envelope.from;
//   await sink.close();

import { SMTPServer } from 'smtp-server';

/** Decodes `bytes` (a Buffer) in `charset`, as UTF-8 when the charset is unknown. */
function decodeCharset(bytes, charset) {
  try {
    return new TextDecoder(charset || 'utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** The bytes of quoted-printable text (RFC 2045 section 6.7); `underscoreIsSpace` for "Q" words. */
function quotedPrintableBytes(text, { underscoreIsSpace = false } = {}) {
  const unfolded = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < unfolded.length; i++) {
    const c = unfolded[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(unfolded.slice(i + 1, i + 3))) {
      bytes.push(parseInt(unfolded.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '_' && underscoreIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(c.charCodeAt(0) & 0xff);  // the message is held as latin1: one byte a character
    }
  }
  return Buffer.from(bytes);
}

const kEncodedWord = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * Header text with its RFC 2047 encoded words decoded. White space between two adjacent encoded
 * words is dropped (RFC 2047 section 6.2), and adjacent words in one charset are joined as bytes
 * before decoding, so a character split across words survives. Text outside encoded words is read
 * as UTF-8 (the message is held as latin1, one character per byte).
 */
export function decodeHeaderText(text) {
  const parts = [];  // { text } or { charset, bytes: [Buffer...] }, in order
  let last = 0;
  for (const match of text.matchAll(kEncodedWord)) {
    const between = text.slice(last, match.index);
    const previous = parts[parts.length - 1];
    const afterWord = previous !== undefined && previous.charset !== undefined;
    if (between && !(afterWord && /^[ \t\r\n]*$/.test(between))) parts.push({ text: between });
    const [, charsetSpec, encoding, payload] = match;
    const charset = charsetSpec.split('*')[0].toLowerCase();  // RFC 2231 language suffix
    const bytes = encoding.toUpperCase() === 'B'
      ? Buffer.from(payload, 'base64')
      : quotedPrintableBytes(payload, { underscoreIsSpace: true });
    const tail = parts[parts.length - 1];
    if (tail !== undefined && tail.charset === charset) tail.bytes.push(bytes);
    else parts.push({ charset, bytes: [bytes] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts.map((part) => (part.charset === undefined
    ? decodeCharset(Buffer.from(part.text, 'latin1'), 'utf-8')
    : decodeCharset(Buffer.concat(part.bytes), part.charset))).join('');
}

/** Splits a raw message into its unfolded header lines and its body. */
function splitMessage(raw) {
  const separator = raw.search(/\r?\n\r?\n/);
  const head = separator < 0 ? raw : raw.slice(0, separator);
  const body = separator < 0 ? '' : raw.slice(separator).replace(/^\r?\n\r?\n/, '');
  const headers = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1].raw += '\r\n' + line;
    } else if (line.length > 0) {
      headers.push({ raw: line });
    }
  }
  return {
    headers: headers.map(({ raw: line }) => {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      // Unfolding: a CRLF followed by white space is just that white space (RFC 5322 2.2.3).
      const rawValue = line.slice(colon + 1).replace(/\r\n(?=[ \t])/g, '').trim();
      return { name, rawValue, value: decodeHeaderText(rawValue) };
    }),
    body,
  };
}

/** One received message. */
export class ReceivedMessage {
  constructor({ raw, envelope }) {
    /** The message as the server received it (after SMTP dot-unstuffing). */
    this.raw = raw;
    /** { from, to: [...] }: the SMTP MAIL FROM and RCPT TO addresses. */
    this.envelope = envelope;
    const { headers, body } = splitMessage(raw);
    /** Every header in order: { name (lower case), rawValue, value (decoded) }. */
    this.headers = headers;
    /** The body as sent, still transfer-encoded. */
    this.rawBody = body;
    /** The body as text, transfer encoding and charset decoded, line breaks as "\n". */
    this.text = this.#decodeBody(body);
  }

  /** The decoded value of the first header called `name` (any case), or undefined. */
  header(name) {
    return this.headers.find((h) => h.name === name.toLowerCase())?.value;
  }

  /** The undecoded value of the first header called `name`, as it arrived (unfolded). */
  rawHeader(name) {
    return this.headers.find((h) => h.name === name.toLowerCase())?.rawValue;
  }

  #decodeBody(body) {
    const contentType = this.header('content-type') ?? 'text/plain; charset=us-ascii';
    const charset = /charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? 'us-ascii';
    const encoding = (this.header('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
    let bytes;
    if (encoding === 'quoted-printable') bytes = quotedPrintableBytes(body);
    else if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    else bytes = Buffer.from(body, 'latin1');
    return decodeCharset(bytes, charset).replace(/\r\n/g, '\n');
  }
}

/** A running sink. Create with startSmtpSink(). */
export class SmtpSink {
  constructor(server, port, rejectRecipients) {
    this.server = server;
    this.port = port;
    this.host = '127.0.0.1';
    /** Every message received, in order. */
    this.messages = [];
    this.rejectRecipients = rejectRecipients;
    this.consumed = new Set();
    this.waiters = [];
  }

  /** The --smtp-url for agora. */
  get url() { return `smtp://${this.host}:${this.port}`; }

  /** @internal Called by the server for each message. */
  receive(message) {
    this.messages.push(message);
    for (const waiter of [...this.waiters]) waiter();
  }

  #matches(message, address) {
    const wanted = address.toLowerCase();
    return message.envelope.to.some((to) => to.toLowerCase() === wanted);
  }

  /**
   * The next message to `address` (an envelope recipient) that no earlier call returned; waits up
   * to `timeoutMs` for it and throws, listing what did arrive, when none comes.
   */
  waitForMessage(address, { timeoutMs = 10_000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.messages.findIndex((m, i) => !this.consumed.has(i) && this.#matches(m, address));
        if (index < 0) return false;
        this.consumed.add(index);
        cleanup();
        resolve(this.messages[index]);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.messages.map((m) => `${m.envelope.to.join(', ')}: ${m.header('subject')}`);
        reject(new Error(`no message to ${address} within ${timeoutMs} ms; received: ` +
          (seen.length ? seen.join(' | ') : 'nothing')));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Stops listening and closes open connections. */
  close() {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Starts a sink on a free loopback port. `rejectRecipients`: addresses whose RCPT TO is refused
 * with "550 5.1.1 No such user here", to test how a refusal is reported.
 */
export async function startSmtpSink({ rejectRecipients = [] } = {}) {
  const rejected = new Set(rejectRecipients.map((a) => a.toLowerCase()));
  let sink = null;
  const server = new SMTPServer({
    secure: false,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        const error = new Error('5.1.1 No such user here');
        error.responseCode = 550;
        return callback(error);
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        sink.receive(new ReceivedMessage({ raw: Buffer.concat(chunks).toString('latin1'), envelope }));
        callback();
      });
    },
  });
  server.on('error', () => {});  // a client hanging up mid-conversation is not the test's failure
  const port = await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.server.address().port));
  });
  sink = new SmtpSink(server, port, rejected);
  return sink;
}
