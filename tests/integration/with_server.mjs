// Runs a node test file against a real agora server:
//   node tests/integration/with_server.mjs [--demo] [--smtp-sink] FILE.test.mjs [more node --test args]
// Starts `agora serve` (AGORA_BIN) through the harness on a free loopback port with a fresh data
// folder (after `agora demo load` with --demo), sets AGORA_URL, runs `node --test FILE`, stops the
// server and exits with the test's status (or 1 if the server did not exit cleanly).
//
// With --smtp-sink the server sends its mail to tests/auth/smtp_sink.mjs, and the test reads what
// arrived from AGORA_SMTP_SINK_URL: GET there answers a JSON array of every message so far, oldest
// first, each { to: [envelope recipients], from, subject, text }.

import { spawn } from 'node:child_process';
import http from 'node:http';

import { startSmtpSink } from '../auth/smtp_sink.mjs';
import { startServer } from './harness.mjs';

const args = process.argv.slice(2);
const flags = new Set();
while (args[0] === '--demo' || args[0] === '--smtp-sink') flags.add(args.shift());
if (args.length === 0) {
  console.error('usage: with_server.mjs [--demo] [--smtp-sink] FILE.test.mjs [node --test args]');
  process.exit(2);
}

/** A loopback HTTP endpoint that lists what `sink` has received, for a test in another process. */
async function serveSinkMessages(sink) {
  const endpoint = http.createServer((request, response) => {
    const messages = sink.messages.map((m) => ({
      to: m.envelope.to, from: m.envelope.from, subject: m.header('subject') ?? '', text: m.text,
    }));
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify(messages));
  });
  await new Promise((resolve, reject) => {
    endpoint.once('error', reject);
    endpoint.listen(0, '127.0.0.1', resolve);
  });
  return endpoint;
}

const sink = flags.has('--smtp-sink') ? await startSmtpSink() : null;
const sinkEndpoint = sink ? await serveSinkMessages(sink) : null;
const testEnv = {};
if (sinkEndpoint) testEnv.AGORA_SMTP_SINK_URL = `http://127.0.0.1:${sinkEndpoint.address().port}/`;

const closeSink = async () => {
  if (sinkEndpoint) await new Promise((resolve) => sinkEndpoint.close(() => resolve()));
  if (sink) await sink.close();
};

let server;
try {
  server = await startServer({ demo: flags.has('--demo'), args: sink ? ['--smtp-url', sink.url] : [] });
} catch (error) {
  await closeSink();
  throw error;
}
let status = 1;
try {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...testEnv, AGORA_URL: server.origin, AGORA_TEST_DATA_DIR: server.dataDir },
  });
  // Forward an interruption to the test run so the server below is still stopped.
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ? 1 : code)));
} finally {
  const exit = await server.stop();
  await closeSink();
  if (exit.code !== 0) {
    console.error(`agora exited with ${JSON.stringify(exit)} on SIGTERM; stderr:\n${server.stderrTail()}`);
    status = status || 1;
  }
}
process.exit(status);
