// `agora mail test` against a real SMTP server (npm smtp-server, through smtp_sink.mjs): what
// arrives is what was meant, Welsh survives the trip, and failures say what went wrong.
//
// AGORA_BIN=build/release/src/app/agora node --test tests/auth/mail.test.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { agoraBin, agoraEnv, freePort } from '../integration/harness.mjs';
import { startSmtpSink } from './smtp_sink.mjs';

// The sink runs in this process, so agora must run without blocking the event loop (no spawnSync).
function runAgora(args, { env = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(agoraBin(), args, { env: agoraEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const kFrom = 'Cyngor Dyffryn Afon <agora@afonvalley.gov.uk>';

describe('agora mail test', () => {
  let sink;
  before(async () => { sink = await startSmtpSink({ rejectRecipients: ['nobody@afonvalley.gov.uk'] }); });
  after(async () => { await sink?.close(); });

  it('sends the standard test message with the right headers', async () => {
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk',
      '--smtp-url', sink.url, '--mail-from', kFrom]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Sent a test message to ann@afonvalley.gov.uk through ${sink.url}.\n`);

    const message = await sink.waitForMessage('ann@afonvalley.gov.uk');
    assert.equal(message.envelope.from, 'agora@afonvalley.gov.uk');
    assert.deepEqual(message.envelope.to, ['ann@afonvalley.gov.uk']);
    assert.equal(message.header('from'), kFrom);
    assert.equal(message.header('to'), 'ann@afonvalley.gov.uk');
    assert.equal(message.header('subject'), 'Agora: test message / Neges brawf');
    assert.match(message.header('date'), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$/);
    const sent = Date.parse(message.header('date'));
    assert.ok(Math.abs(Date.now() - sent) < 10 * 60_000, `Date: ${message.header('date')} is about now`);
    assert.match(message.header('message-id'), /^<[0-9a-f]{32}@afonvalley\.gov\.uk>$/);
    assert.equal(message.header('mime-version'), '1.0');
    assert.equal(message.header('content-type'), 'text/plain; charset=UTF-8');
    assert.equal(message.header('content-transfer-encoding'), 'quoted-printable');
    assert.match(message.text, /sent by "agora mail test" to check that Agora can send mail/);
    assert.match(message.text, /Anfonwyd y neges hon gan "agora mail test"/);
  });

  it('keeps a Welsh subject and body intact, long lines and leading dots included', async () => {
    const subject = 'Gwahoddiad: ymunwch â’r gweithle – dŵr, tŷ, ŵ ŷ';
    const longLine = 'Mae’r llinell hon yn hir iawn, '.repeat(8).trim();
    const text = [
      'Annwyl Siân,',
      '',
      longLine,
      '.',
      '.cudd: a line that starts with a dot',
      '..two dots',
      'Pris = £5, gofod ar y diwedd   ',
      'Diolch, ŵ ŷ',
      '',
    ].join('\n');
    const result = await runAgora(['mail', 'test', '--to', 'sian@afonvalley.gov.uk',
      '--subject', subject, '--text', text, '--smtp-url', sink.url, '--mail-from', kFrom]);
    assert.equal(result.code, 0, result.stderr);

    const message = await sink.waitForMessage('sian@afonvalley.gov.uk');
    assert.equal(message.header('subject'), subject);
    // It travelled as encoded words: the raw header is ASCII.
    assert.match(message.rawHeader('subject'), /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/);
    assert.equal(message.text, text);
    for (const line of message.rawBody.split('\r\n')) {
      assert.ok(line.length <= 76, `quoted-printable line of ${line.length} characters: ${line}`);
      assert.match(line, /^[\x20-\x7e]*$/, 'quoted-printable lines are printable ASCII');
    }
    // Header lines stay within 78 characters, folded where needed.
    const head = message.raw.slice(0, message.raw.indexOf('\r\n\r\n'));
    for (const line of head.split('\r\n')) assert.ok(line.length <= 78, `header line: ${line}`);
  });

  it('takes the settings from the environment too', async () => {
    const result = await runAgora(['mail', 'test', '--to', 'env@afonvalley.gov.uk'],
      { env: { AGORA_SMTP_URL: sink.url, AGORA_MAIL_FROM: 'post@afonvalley.gov.uk' } });
    assert.equal(result.code, 0, result.stderr);
    const message = await sink.waitForMessage('env@afonvalley.gov.uk');
    assert.equal(message.header('from'), 'post@afonvalley.gov.uk');
  });

  it('reports the server refusing a recipient in its own words', async () => {
    const result = await runAgora(['mail', 'test', '--to', 'nobody@afonvalley.gov.uk',
      '--smtp-url', sink.url, '--mail-from', kFrom]);
    assert.equal(result.code, 1, `exit code; stderr:\n${result.stderr}`);
    assert.match(result.stderr,
      new RegExp(`agora mail test: the mail server ${sink.url.replace(/[.]/g, '\\.')} refused the message to nobody@afonvalley\\.gov\\.uk: 550 5\\.1\\.1 No such user here`));
  });

  it('never sends a password where the server offers no STARTTLS', async () => {
    const before = sink.messages.length;
    const url = sink.url.replace('smtp://', 'smtp://agora:s3cret@');
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk', '--smtp-url', url]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /does not offer STARTTLS, and the password in --smtp-url is only ever sent encrypted/);
    assert.doesNotMatch(result.stderr, /s3cret/, 'the password is not printed');
    assert.equal(sink.messages.length, before, 'nothing was sent');
  });

  it('refuses header injection before talking to the server', async () => {
    const before = sink.messages.length;
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk\r\nBcc: eve@evil.example',
      '--smtp-url', sink.url]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /agora mail test: .*it contains a line break/);
    const subject = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk',
      '--subject', 'Hi\nBcc: eve@evil.example', '--smtp-url', sink.url]);
    assert.equal(subject.code, 2, subject.stderr);
    assert.match(subject.stderr, /agora mail test: the subject contains a line break/);
    assert.equal(sink.messages.length, before, 'nothing was sent');
  });
});

describe('agora mail test without a mail server', () => {
  it('gives a clear error and exit code 1 when the server cannot be reached', async () => {
    const port = await freePort();  // nothing listens there now
    const url = `smtp://127.0.0.1:${port}`;
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk', '--smtp-url', url]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^agora mail test: cannot send mail through smtp://127\\.0\\.0\\.1:${port}: .+`, 'm'));
  });

  it('writes the message to the log when no --smtp-url is set', async () => {
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk',
      '--subject', 'Prawf ŵ ŷ'], { env: { AGORA_SMTP_URL: '' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /written to the log instead of being sent/);
    const logged = result.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line))
      .find((record) => record.msg === 'mail.not_sent');
    assert.ok(logged, `a mail.not_sent log line; stderr:\n${result.stderr}`);
    assert.equal(logged.to, 'ann@afonvalley.gov.uk');
    assert.equal(logged.subject, 'Prawf ŵ ŷ');
  });

  it('refuses a URL that is not smtp:// or smtps:// as a usage error', async () => {
    const result = await runAgora(['mail', 'test', '--to', 'ann@afonvalley.gov.uk',
      '--smtp-url', 'http://127.0.0.1:25']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /expected smtp:\/\/HOST:PORT or smtps:\/\/HOST:PORT/);
  });
});
