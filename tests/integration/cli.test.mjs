// The command line of the real binary: subcommands, help, and a clear error naming every bad value.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  agoraBin, agoraEnv, freePort, makeTempDir, removeDir, request, runAgora, sleep, startServer,
} from './harness.mjs';

let scratch;
before(() => { scratch = makeTempDir('agora-cli-'); });
after(() => { if (scratch) removeDir(scratch); });

/** Asserts a usage error: exit 2 and stderr mentioning every one of `needles`. */
function assertUsageError(result, needles, what) {
  assert.equal(result.code, 2, `${what}: exit code (stderr: ${result.stderr})`);
  for (const needle of needles) assert.ok(result.stderr.includes(needle), `${what}: stderr names ${needle}: ${result.stderr}`);
  assert.ok(result.stderr.trim().split('\n').length <= 3, `${what}: a short error, not a wall of text: ${result.stderr}`);
}

/** Runs `agora serve ...` expecting it to fail fast; kills it if it starts serving instead. */
async function serveExpectingFailure(args, { timeoutMs = 10_000, env = {} } = {}) {
  const child = spawn(agoraBin(), ['serve', ...args], { env: agoraEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  assert.equal(signal, null, `agora serve ${args.join(' ')} should have failed on its own but ran until killed; stderr:\n${stderr}`);
  return { code, stdout, stderr };
}

describe('version and help', () => {
  it('agora version prints the version', () => {
    const r = runAgora(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\d+\.\d+\.\d+/);
  });

  it('agora --help lists the subcommands', () => {
    const r = runAgora(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const sub of ['serve', 'migrate', 'demo', 'version']) assert.match(r.stdout, new RegExp(sub), `--help mentions ${sub}`);
  });

  const helps = [
    [['serve', '--help'], ['--data', '--listen', '--database', '--tls-cert', '--read-timeout', '--max-connections']],
    [['migrate', '--help'], ['--data', '--database']],
    [['demo', '--help'], ['load']],
    [['demo', 'load', '--help'], ['--data', '--database']],
    [['version', '--help'], []],
  ];
  for (const [args, flags] of helps) {
    it(`agora ${args.join(' ')} explains its flags`, () => {
      const r = runAgora(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 20, 'some help text');
      for (const flag of flags) assert.ok(r.stdout.includes(flag), `help mentions ${flag}:\n${r.stdout}`);
    });
  }
});

describe('bad flags and values', () => {
  it('unknown flag: exit 2, the flag named', () => {
    assertUsageError(runAgora(['serve', '--no-such-flag']), ['--no-such-flag'], 'serve --no-such-flag');
    assertUsageError(runAgora(['migrate', '--frobnicate=3']), ['--frobnicate'], 'migrate --frobnicate=3');
  });

  it('unknown subcommand: exit 2, the subcommand named', () => {
    assertUsageError(runAgora(['frobnicate']), ['frobnicate'], 'agora frobnicate');
  });

  for (const listen of ['nohostport', '127.0.0.1:99999', '127.0.0.1:http', ':', '127.0.0.1:-1']) {
    it(`--listen ${JSON.stringify(listen)}: exit 2 naming --listen`, async () => {
      const r = await serveExpectingFailure(['--data', path.join(scratch, 'listen'), '--listen', listen]);
      assertUsageError(r, ['--listen'], `--listen ${listen}`);
    });
  }

  for (const [flag, value] of [['--read-timeout', 'abc'], ['--read-timeout', '-1'], ['--max-connections', '-5'],
    ['--max-header-bytes', 'lots'], ['--shutdown-grace', 'x'], ['--log-level', 'chatty']]) {
    it(`${flag} ${value}: exit 2 naming ${flag}`, async () => {
      const r = await serveExpectingFailure(['--data', path.join(scratch, 'values'), '--listen', '127.0.0.1:0', flag, value]);
      assertUsageError(r, [flag], `${flag} ${value}`);
    });
  }

  it('a data folder that cannot be created: error naming it', () => {
    const file = path.join(scratch, 'a-regular-file');
    fs.writeFileSync(file, 'not a folder');
    const data = path.join(file, 'sub');
    for (const args of [['migrate', '--data', data], ['demo', 'load', '--data', data]]) {
      const r = runAgora(args);
      assert.notEqual(r.code, 0, `agora ${args.join(' ')} must fail`);
      assert.ok(r.stderr.includes(data) || r.stderr.includes(file), `stderr names the folder: ${r.stderr}`);
    }
  });

  it('serve with a data folder that cannot be created: error naming it', async () => {
    const file = path.join(scratch, 'another-file');
    fs.writeFileSync(file, 'not a folder');
    const data = path.join(file, 'sub');
    const r = await serveExpectingFailure(['--data', data, '--listen', `127.0.0.1:${await freePort()}`]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(data) || r.stderr.includes(file), `stderr names the folder: ${r.stderr}`);
  });

  for (const url of ['mysql://x', 'postgres://', 'not a url', 'sqlite']) {
    it(`--database ${JSON.stringify(url)}: error naming it`, () => {
      const r = runAgora(['migrate', '--data', path.join(scratch, 'db'), '--database', url]);
      assert.notEqual(r.code, 0, 'must fail');
      assert.notEqual(r.code, null);
      assert.ok(r.stderr.includes('--database') || r.stderr.includes(url), `stderr names --database or ${url}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /terminate called|Segmentation|Aborted/, 'no crash');
    });
  }

  it('port in use: error naming the address', async () => {
    const first = await startServer();
    try {
      const address = `127.0.0.1:${first.port}`;
      const dir = makeTempDir();
      try {
        const r = await serveExpectingFailure(['--data', dir, '--listen', address]);
        assert.notEqual(r.code, 0, 'the second server must fail');
        assert.ok(r.stderr.includes(address), `stderr names ${address}: ${r.stderr}`);
      } finally {
        removeDir(dir);
      }
      assert.equal((await request(first, { path: '/healthz' })).status, 200, 'the first server is unaffected');
    } finally {
      await first.stopCleanly();
    }
  });
});

describe('configuration sources', () => {
  /**
   * Starts `agora serve --data DIR ...args` with `env`, and reports which of `ports` answer
   * GET /healthz once one does (or none within 10 s). Stops the server; asserts it exits 0.
   */
  async function answeringPorts(args, env, ports) {
    const dir = makeTempDir();
    const child = spawn(agoraBin(), ['serve', '--data', dir, ...args], { env: agoraEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    let exitCode;
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve(exitCode);
    }));
    const probe = (port) => request({ host: '127.0.0.1', port }, { path: '/healthz', timeoutMs: 500 })
      .then((r) => r.status === 200, () => false);
    try {
      for (let i = 0; i < 100 && exitCode === undefined; i++) {
        const up = [];
        for (const port of ports) if (await probe(port)) up.push(port);
        if (up.length) return up;
        await sleep(100);
      }
      assert.fail(`the server answered on none of ${ports.join(', ')} (exit: ${exitCode}); stderr:\n${stderr}`);
    } finally {
      child.kill('SIGTERM');
      const exit = await exited;
      removeDir(dir);
      assert.equal(exit, 0, `exit code (or signal) after SIGTERM; stderr:\n${stderr}`);
    }
  }

  it('AGORA_LISTEN from the environment is used when --listen is absent', async () => {
    const port = await freePort();
    assert.deepEqual(await answeringPorts([], { AGORA_LISTEN: `127.0.0.1:${port}` }, [port]), [port]);
  });

  it('a flag beats the environment', async () => {
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const up = await answeringPorts(['--listen', `127.0.0.1:${flagPort}`], { AGORA_LISTEN: `127.0.0.1:${envPort}` },
      [flagPort, envPort]);
    assert.deepEqual(up, [flagPort]);
  });

  it('a TOML file (--config) is read, and the environment beats it', async () => {
    const [filePort, envPort] = [await freePort(), await freePort()];
    const file = path.join(scratch, 'agora.toml');
    fs.writeFileSync(file, `listen = "127.0.0.1:${filePort}"\n`);
    assert.deepEqual(await answeringPorts(['--config', file], {}, [filePort]), [filePort]);
    const up = await answeringPorts(['--config', file], { AGORA_LISTEN: `127.0.0.1:${envPort}` }, [filePort, envPort]);
    assert.deepEqual(up, [envPort]);
  });

  it('a bad value in the TOML file is named with the file', async () => {
    const file = path.join(scratch, 'bad.toml');
    fs.writeFileSync(file, 'listen = "nohostport"\n');
    const r = await serveExpectingFailure(['--data', path.join(scratch, 'toml'), '--config', file]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes('listen') && r.stderr.includes(file), `stderr names listen and ${file}: ${r.stderr}`);
  });

  it('a bad AGORA_LISTEN is named', async () => {
    const r = await serveExpectingFailure(['--data', path.join(scratch, 'envlisten')], { env: { AGORA_LISTEN: 'nohostport' } });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes('AGORA_LISTEN'), `stderr names AGORA_LISTEN: ${r.stderr}`);
  });
});

describe('migrate and demo', () => {
  function appliedCount(text) {
    const line = text.split('\n').find((l) => /migrat/i.test(l));
    assert.ok(line, `a line about migrations in:\n${text}`);
    if (/up to date|nothing to (do|apply)|no (new |pending )?migrations/i.test(line)) return 0;
    const n = /(\d+)/.exec(line);
    assert.ok(n, `a count in: ${line}`);
    return Number(n[1]);
  }

  it('migrate applies migrations, then reports 0 the second time', () => {
    const dir = makeTempDir();
    try {
      const first = runAgora(['migrate', '--data', dir]);
      assert.equal(first.code, 0, first.stderr);
      assert.ok(appliedCount(first.stdout) > 0, `first run applied some: ${first.stdout}`);
      assert.ok(fs.readdirSync(dir).length > 0, 'the data folder now holds the database');
      const second = runAgora(['migrate', '--data', dir]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(appliedCount(second.stdout), 0, `second run applied none: ${second.stdout}`);
    } finally {
      removeDir(dir);
    }
  });

  it('migrate creates a missing data folder', () => {
    const dir = makeTempDir();
    try {
      const nested = path.join(dir, 'a', 'b');
      const r = runAgora(['migrate', '--data', nested]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.existsSync(nested));
    } finally {
      removeDir(dir);
    }
  });

  it('demo load prints the sign-ins and is idempotent', async () => {
    const dir = makeTempDir();
    try {
      const first = runAgora(['demo', 'load', '--data', dir]);
      assert.equal(first.code, 0, first.stderr);
      const emails = (text) => [...new Set(text.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? [])].sort();
      const firstEmails = emails(first.stdout);
      assert.ok(firstEmails.length >= 4, `sign-ins printed (e-mail addresses):\n${first.stdout}`);
      const second = runAgora(['demo', 'load', '--data', dir]);
      assert.equal(second.code, 0, `second demo load succeeds: ${second.stderr}`);
      assert.deepEqual(emails(second.stdout), firstEmails, 'the same sign-ins the second time');
      // The loaded folder still serves.
      const server = await startServer({ dataDir: dir });
      try {
        assert.equal((await request(server, { path: '/' })).status, 200);
      } finally {
        await server.stopCleanly();
      }
    } finally {
      removeDir(dir);
    }
  });
});
