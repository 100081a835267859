// Runs a node test file against a real agora server:
//   node tests/integration/with_server.mjs [--demo] FILE.test.mjs [more node --test args]
// Starts `agora serve` (AGORA_BIN) through the harness on a free loopback port with a fresh data
// folder (after `agora demo load` with --demo), sets AGORA_URL, runs `node --test FILE`, stops the
// server and exits with the test's status (or 1 if the server did not exit cleanly).

import { spawn } from 'node:child_process';

import { startServer } from './harness.mjs';

const args = process.argv.slice(2);
const demo = args[0] === '--demo';
if (demo) args.shift();
if (args.length === 0) {
  console.error('usage: with_server.mjs [--demo] FILE.test.mjs [node --test args]');
  process.exit(2);
}

const server = await startServer({ demo });
let status = 1;
try {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...args], {
    stdio: 'inherit',
    env: { ...process.env, AGORA_URL: server.origin, AGORA_TEST_DATA_DIR: server.dataDir },
  });
  // Forward an interruption to the test run so the server below is still stopped.
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ? 1 : code)));
} finally {
  const exit = await server.stop();
  if (exit.code !== 0) {
    console.error(`agora exited with ${JSON.stringify(exit)} on SIGTERM; stderr:\n${server.stderrTail()}`);
    status = status || 1;
  }
}
process.exit(status);
