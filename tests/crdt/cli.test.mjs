// `agora crdt` as a person debugging documents uses it: the happy paths print the documented
// JSON, and every bad input (missing or malformed files, bad base64, hostile updates, unknown
// flags, broken traces) ends with exit code 2 and a message saying what was wrong.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';

import * as Y from 'yjs';

import { agoraBin, runAgora } from './agora_cli.mjs';
import { frameUpdates } from './scenario.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-crdt-cli-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name, bytes) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

async function agora(...args) {
  return runAgora(args);
}

function lines(stdout) {
  return stdout.trim().split('\n').map((line) => JSON.parse(line));
}

// Two clients' edits as the updates one of them received.
function sampleUpdates() {
  const a = new Y.Doc();
  a.clientID = 1;
  const b = new Y.Doc();
  b.clientID = 2;
  const updates = [];
  a.on('update', (u) => updates.push(u));
  a.getText('text').insert(0, 'hello');
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  b.getText('text').insert(5, ' world');
  b.getMap('map').set('k', [1, 'two']);
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  a.getText('text').delete(0, 1);
  return { updates, doc: a };
}

describe('agora crdt', () => {
  const { updates, doc } = sampleUpdates();
  const updatesFile = file('updates.bin', frameUpdates(updates));

  it('apply prints the state, state vector and roots of each file, as Yjs has them', async () => {
    const result = await agora('crdt', 'apply', '--text', 'text', '--map', 'map', updatesFile, updatesFile);
    assert.equal(result.code, 0, result.stderr);
    const outputs = lines(result.stdout);
    assert.equal(outputs.length, 2);
    for (const out of outputs) {
      assert.equal(out.state, Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'));
      assert.equal(out.state_vector, Buffer.from(Y.encodeStateVector(doc)).toString('base64'));
      assert.deepEqual(out.roots, { text: 'ello world', map: { k: [1, 'two'] } });
      assert.equal(typeof out.apply_ms, 'number');
    }
  });

  it('merge and diff print updates Yjs applies to the same document', async () => {
    const merged = await agora('crdt', 'merge', updatesFile);
    assert.equal(merged.code, 0, merged.stderr);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, Buffer.from(lines(merged.stdout)[0].update, 'base64'));
    assert.equal(fresh.getText('text').toString(), 'ello world');

    const prefix = new Y.Doc();
    Y.applyUpdate(prefix, updates[0]);
    const sv = Buffer.from(Y.encodeStateVector(prefix)).toString('base64');
    const diff = await agora('crdt', 'diff', '--state-vector', sv, updatesFile);
    assert.equal(diff.code, 0, diff.stderr);
    Y.applyUpdate(prefix, Buffer.from(lines(diff.stdout)[0].update, 'base64'));
    assert.equal(prefix.getText('text').toString(), 'ello world');
  });

  it('replay checks the end content and reports its timings', async () => {
    // Positions count code points, so the emoji in the starting text shifts UTF-16 offsets.
    const trace = {
      startContent: '😀!',
      endContent: 'Hi 😀 there!',
      txns: [
        { patches: [[0, 0, 'Hello ']] },
        { patches: [[1, 4, 'i'], [4, 0, ' there']] },
      ],
    };
    const good = file('good.json.gz', zlib.gzipSync(JSON.stringify(trace)));
    const result = await agora('crdt', 'replay', '--print-state', good);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.ops, 3);
    for (const key of ['local_ms', 'apply_remote_ms', 'encode_ms', 'load_ms', 'merge_ms', 'state_bytes', 'peak_rss_mb'])
      assert.equal(typeof out[key], 'number', key);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, Buffer.from(out.state, 'base64'));
    assert.equal(loaded.getText('text').toString(), 'Hi 😀 there!');

    const wrong = file('wrong.json.gz', zlib.gzipSync(JSON.stringify({ ...trace, endContent: 'nope' })));
    const mismatch = await agora('crdt', 'replay', wrong);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /differs from the trace's endContent/);
  });

  const bad = [
    ['an unknown flag', () => ['crdt', 'apply', '--frobnicate', updatesFile], /frobnicate/],
    ['a missing file', () => ['crdt', 'apply', path.join(dir, 'absent.bin')], /cannot read .*absent\.bin/],
    ['a frame longer than the file', () => ['crdt', 'merge', file('cut.bin', Buffer.from([10, 1, 2]))], /cut short/],
    ['a malformed update', () => ['crdt', 'apply', file('junk.bin', frameUpdates([Buffer.from([1, 1, 7, 0, 0x17, 1])]))],
      /update 1 was refused/],
    ['bad base64', () => ['crdt', 'diff', '--state-vector', 'a$b=', updatesFile], /not valid base64/],
    ['a trace that is not JSON', () => ['crdt', 'replay', file('plain.json.gz', 'not json')], /not a JSON editing trace/],
    ['a corrupt gzip trace', () => ['crdt', 'replay', file('corrupt.json.gz', zlib.gzipSync('{"txns":[]}').subarray(0, 12))],
      /not a (readable gzip file|JSON editing trace)/],
    ['a trace without txns', () => ['crdt', 'replay', file('empty.json.gz', zlib.gzipSync('{}'))], /lacks "txns"/],
    ['no subcommand', () => ['crdt'], /.+/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with exit code 2 and a message`, async () => {
      const result = await agora(...args());
      assert.equal(result.code, 2, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
      assert.match(result.stderr, message);
    });
  }
});
