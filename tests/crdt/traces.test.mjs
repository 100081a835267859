// Real editing traces (../shared/traces) replayed as local edits, in Yjs and in `agora crdt
// replay`, with client id 1 on both sides: the encoded states must be byte-identical (issue 3).
//
// Environment: AGORA_BIN (required), AGORA_TRACES_DIR (default: ../shared/traces beside the
// repository, else /work/shared/traces, where the project's machines keep them).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import * as Y from 'yjs';

import { repoRoot, runAgora } from './agora_cli.mjs';
import { readTrace, replayTraceInYjs } from './trace.mjs';
import { updateDifference } from './update_diff.mjs';

const kClientId = 1;
const kTraceFolders = process.env.AGORA_TRACES_DIR
  ? [process.env.AGORA_TRACES_DIR]
  : [path.resolve(repoRoot, '../shared/traces'), '/work/shared/traces'];
const tracesDir = kTraceFolders.find((dir) => fs.existsSync(dir)) ?? kTraceFolders[0];

describe(`editing traces in ${tracesDir}: agora crdt replay against Yjs`, () => {
  if (!fs.existsSync(tracesDir)) {
    // The traces are not ours to ship (see ../shared/traces/README.md); a checkout without them
    // says so loudly rather than failing every other suite's run.
    it('the traces folder exists', (t) => {
      t.skip(`none of ${kTraceFolders.join(', ')} exists: set AGORA_TRACES_DIR to the folder holding the *.json.gz editing traces`);
    });
    return;
  }
  const traces = fs.readdirSync(tracesDir).filter((name) => name.endsWith('.json.gz')).sort();
  it('the folder holds traces', () => {
    assert.ok(traces.length > 0, `no *.json.gz in ${tracesDir}`);
  });

  for (const name of traces) {
    it(`${name}: the state agora makes is byte-identical to Yjs's`, async () => {
      const file = path.join(tracesDir, name);
      // agora runs in its own process while Yjs replays here.
      const agoraRun = runAgora(['crdt', 'replay', '--client-id', String(kClientId), '--print-state', file], { timeoutMs: 600_000 });
      const trace = readTrace(file);
      const { doc, text, patches } = replayTraceInYjs(trace, { clientId: kClientId });
      assert.equal(text.toString(), trace.endContent, `Yjs replaying ${name} does not reach endContent (a bug in this test's replay)`);
      const expected = Y.encodeStateAsUpdate(doc);

      const r = await agoraRun;
      const command = `${process.env.AGORA_BIN} crdt replay --client-id ${kClientId} --print-state ${file}`;
      assert.equal(r.code, 0, `${command}: exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}: ${r.stderr.trim().slice(0, 500)}`);
      let out;
      try {
        out = JSON.parse(r.stdout);
      } catch (e) {
        assert.fail(`${command}: stdout is not one JSON object (${e.message}): ${r.stdout.slice(0, 300)}`);
      }
      assert.equal(typeof out.state, 'string', `${command}: no "state" in ${JSON.stringify(Object.keys(out))}`);
      const actual = new Uint8Array(Buffer.from(out.state, 'base64'));
      if (!Buffer.from(actual).equals(Buffer.from(expected))) {
        assert.fail(`${name} (${patches} patches, one transaction each, client id ${kClientId}): agora's state is not Y.encodeStateAsUpdate's: ` +
          `${updateDifference(actual, expected)}\n  replay: ${command}`);
      }
    });
  }
});
